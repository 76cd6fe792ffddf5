"""The ways a message leaves SysTok: email over SMTP and the Telegram Bot API.

Each channel sends one outbox message or raises ``DeliveryDeferred`` (try again later)
or ``DeliveryRefused`` (park it); the dispatcher decides what that means for the row.
"""
