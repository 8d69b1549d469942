"""AWS Certificate Manager: certificates issued by gureum's own certificate authority after DNS
validation in a gureum hosted zone, and imported certificates."""
