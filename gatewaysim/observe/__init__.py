"""The observe room: what the gateway tells about each request.

``access_log`` writes one line per request (JSON or text) from the values the stages returned;
``decisions`` keeps the recent decisions in a ring (and a JSON-lines file) for the admin API;
``line_writer`` batches lines into one write every few milliseconds. Nothing here decides anything.
"""
