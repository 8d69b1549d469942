"""Route 53 Domains: gureum's registry (root and TLD zones served by route53's DNS server)
and registrar (domains, operations, billing). See README.md."""
