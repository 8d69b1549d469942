"""AWS Cloud Map (servicediscovery): namespaces, services and instances; DNS namespaces
are Route 53 hosted zones, so registered instances answer in gureum's DNS."""
