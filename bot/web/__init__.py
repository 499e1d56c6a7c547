"""The web pages, served by the bot's one aiohttp server: sign-in from a chat link, a report's
form on one phone page (the same draft as the chat), the card, a stored report and its media.

Server-rendered (Jinja2, autoescaped), usable with JavaScript off; the one small script only
saves each answer as it is given and shows the questions that apply.
"""
