"""Local emulators of provider APIs, used by the tests and by `auditpack demo`."""
