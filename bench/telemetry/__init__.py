"""GPU and host telemetry: collectors as context managers that return typed samples."""
