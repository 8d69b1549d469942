"""Route 53 Resolver: a recursive resolver that resolves iteratively from gureum's own root
(route53domains' registry), and its control plane (endpoints, rules). See README.md."""
