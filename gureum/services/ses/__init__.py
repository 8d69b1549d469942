"""Amazon SES (`ses` v1 over the query protocol and `sesv2` over rest-json, one package as
in AWS: both versions share identities, templates, configuration sets and sending): identities
verified through gureum's DNS or a logged link, outbound mail kept, listed and relayed, inbound
mail received by a real SMTP server and run through the active receipt rule set."""
