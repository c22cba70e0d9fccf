"""The floor of ``api_bench.py``: the SQL one ``record_session`` transition must issue, in a bare Flask route.

Not part of the product. Served by gunicorn exactly like the product (2 workers, same pool settings), it
runs with SQLAlchemy Core and no validation, policy, workflow engine, guards or observer logic the
statements the product's transition issues for the same request (``api_bench.py`` prints them):

    token lookup; SELECT the case FOR UPDATE; UPDATE the case (version checked); INSERT the event;
    INSERT the mediation session; UPDATE the case's risk fact row; COMMIT

so its rate is what any implementation on this stack and machine reaches while doing the same writes
(each statement is one round trip to PostgreSQL on the same 2 cores). With ``FLOOR_STEPS=minimal`` it runs
only the lock-read, the case UPDATE, the event INSERT and the COMMIT. It is a Flask app (the one Flask import
outside ``api/``, and not part of any installed package) because the floor has to pay the same framework.

    gunicorn -w 2 'bench.floor_app:create_app()'   (DATABASE_URL from the environment)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import bindparam, select, update

from mediation.db import registry  # noqa: F401  (all tables)
from mediation.db.engine import make_engine
from mediation.db.models import Case, CaseEvent, MediationSession
from mediation.db.models_access import ApiToken
from mediation.db.models_risk import RiskCaseFacts

_c, _e, _s = Case.__table__, CaseEvent.__table__, MediationSession.__table__
_tok, _f = ApiToken.__table__, RiskCaseFacts.__table__


def create_app() -> Flask:
    engine = make_engine(os.environ["DATABASE_URL"])
    full = os.environ.get("FLOOR_STEPS", "full") == "full"
    app = Flask(__name__)
    token_q = select(_tok.c.user_id, _tok.c.revoked_at).where(_tok.c.token_hash == bindparam("digest"))
    case_q = (select(_c.c.version, _c.c.status, _c.c.last_event_seq).where(_c.c.id == bindparam("cid"))
              .with_for_update())
    bump = (update(_c).where(_c.c.id == bindparam("cid"), _c.c.version == bindparam("seen"))
            .values(version=_c.c.version + 1, last_event_seq=_c.c.last_event_seq + 1, updated_at=bindparam("now")))

    @app.post("/api/v1/cases/<int:case_id>/transitions")
    def transition(case_id: int) -> Response:
        body: dict[str, Any] = request.get_json()
        payload = body["payload"]
        now = dt.datetime.now(dt.UTC)
        with engine.connect() as conn:
            user_id = None
            if full:
                digest = hashlib.sha256(request.headers["Authorization"][7:].encode()).hexdigest()
                user_id = conn.execute(token_q, {"digest": digest}).one().user_id
            row = conn.execute(case_q, {"cid": case_id}).one()
            if conn.execute(bump, {"cid": case_id, "seen": body["version"], "now": now}).rowcount != 1:
                conn.rollback()
                return Response(status=409)
            conn.execute(_e.insert(), {"case_id": case_id, "seq": row.last_event_seq + 1, "event": "record_session",
                                       "from_state": row.status, "to_state": row.status, "actor_id": user_id,
                                       "actor_role": "mediator", "at": now, "reason": "", "payload": payload})
            if full:
                conn.execute(_s.insert(), {"case_id": case_id, "started_at": now, "ended_at": None,
                                           "place": payload["place"], "mediator_id": user_id, "recorder": "",
                                           "attendees": payload["attendees"], "record": payload["record"],
                                           "signed_by_all": False})
                conn.execute(update(_f).where(_f.c.case_id == case_id).values(first_session_at=now))
            conn.commit()
        return Response(status=204, headers={"ETag": f'W/"{row.version + 1}"'})

    return app
