// The Kubernetes API client.
