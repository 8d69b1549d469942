"""CloudFormation: stacks, their templates, resources, events, outputs and exports."""
