"""Stand-ins for the snap store, microk8s and a Kubernetes API (see ../../README.md)."""
