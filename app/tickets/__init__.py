"""The attendee's ticket: its code, its QR code (SVG and PNG) and a printable one-page PDF.

Below mail and registrations (both use it), above kit and models only.
"""
