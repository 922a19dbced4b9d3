"""``gpassist consult scheduler``: the consultation scheduler as a process of its own."""

from __future__ import annotations

import logging

import click


@click.group("consult")
def consult() -> None:
    """Remote consultation."""


@consult.command("scheduler")
@click.option("--once", is_flag=True, help="one tick, then exit (for cron or a check)")
def run_scheduler(once: bool) -> None:
    """Escalate and expire waiting consultations (holds the database lease while it works).

    Server processes already run one each (only the lease holder works); run this instead when
    they are started with GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS=0. Notices reach clients
    through GPASSIST_SOCKETIO_QUEUE; without a queue they are only logged.
    """
    from gpassist.config import load_settings
    from gpassist.consult.runtime import make_scheduler
    from gpassist.db import Database
    from gpassist.realtime import queue_emitter

    settings = load_settings()
    if settings["CONSULT_SCHEDULER_INTERVAL_SECONDS"] <= 0:
        settings["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 5.0
    log = logging.getLogger("gpassist.consult")
    if settings["SOCKETIO_QUEUE"]:
        emit = queue_emitter(settings["SOCKETIO_QUEUE"], settings.get("SOCKETIO_CHANNEL"))
    else:

        def emit(event, payload, **_kw):
            log.warning("no GPASSIST_SOCKETIO_QUEUE: %s notice not delivered", event)

    database = Database(settings["DATABASE_URL"])
    scheduler = make_scheduler(database, settings, emit)
    try:
        if once:
            ran = scheduler.tick()
            click.echo(f"{scheduler.holder}: {'ran the jobs' if ran else 'lease held elsewhere'}")
            return
        click.echo(f"consult scheduler {scheduler.holder}, every {scheduler.interval:g} s")
        scheduler.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        database.dispose()
