"""The pipeline API (`/api/v1/`): tokens with scopes, the deployment gate check, evidence and
deployments recorded through the same services as the browser, and the calendar feed."""
