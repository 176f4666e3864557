"""FYI notifications: the notification list (fed by fired alerts), unread count, settings per FYI type,
disclaimers and delivery options (email, devices).

``state.FyiCenter`` holds them (``gw.fyi``); ``notify`` is how other parts of the simulator (alerts) post a
notification, and ``listeners`` lets a streaming layer forward each one (the websocket ``ntf`` topic).
``routes`` serves ``/fyi/...``. See docs/simulator/alerts_fyi.md.
"""
