"""The host's functions, under the articles' names: ``from plexspaces import host``.

Inside a component these call the world's imports (wit/simple-actor.wit,
wit/coordination.wit); values cross as JSON. A host answer starting with
``ERROR`` raises `HostCallError` (its message carries the PLEX_ERR_* code),
except where a function documents another answer (a lock held by someone
else, a tuple not there).

Payloads of messages (`tell`, `ask`, timers, groups) are any JSON value and
are serialized here. Tuples and patterns may be lists (the answer is then a
list, or None) or JSON text, as the articles write them
(``host.ts_take(json.dumps(["order", None, "pending", None]))``; the answer
is then JSON text, ``""`` when nothing matches).

Outside a component (plain CPython) every call raises `HostUnavailableError`
unless a test installed a backend with `use_backend`.
"""

import json
from types import SimpleNamespace

from .errors import HostCallError, HostUnavailableError

_LOG_LEVELS = ("debug", "info", "warn", "error")
_backend = None


def use_backend(backend):
    """Installs the object whose methods are the world's functions (snake_case WIT names); returns the previous one."""
    global _backend
    previous, _backend = _backend, backend
    return previous


def _world():
    if _backend is None:
        raise HostUnavailableError("host functions exist only inside a component built with `plexspaces-py build` (or after host.use_backend(...) in a test)")
    return _backend


def _check(result):
    if isinstance(result, str) and result.startswith("ERROR"):
        raise HostCallError(result)
    return result


def _payload(value):
    return json.dumps({} if value is None else value)


def _whole(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}")
    return value


# --- identity, time, logging --------------------------------------------------


def get_actor_id():
    """This actor's id (``tenant/namespace/name``)."""
    return _world().self_id()


self_id = get_actor_id


def now_ms():
    """Milliseconds since the epoch (a durable actor's clock is journaled: replay sees the same times)."""
    return int(_world().now_ms())


def log(level, message):
    """Writes to the actor's log; level is debug, info, warn or error."""
    if level not in _LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
    _world().log(level, str(message))


# --- messaging ------------------------------------------------------------------


def tell(to, msg_type, payload=None):
    """Fire-and-forget: queues the message and returns."""
    _check(_world().send(to, msg_type, _payload(payload)))


send = tell


def ask(to, msg_type, payload=None, timeout_ms=5000):
    """Request-reply: the other actor's reply, parsed. Raises HostCallError on a timeout or a missing actor."""
    return json.loads(_check(_world().ask(to, msg_type, _payload(payload), _whole(timeout_ms, "timeout_ms"))))


def spawn(module_ref, actor_id, config=None):
    """Starts an actor of a deployed module; returns its id."""
    return _check(_world().spawn(module_ref, actor_id, _payload(config)))


def stop(actor_id):
    _check(_world().stop(actor_id))


def link(actor_id):
    _check(_world().link(actor_id))


def unlink(actor_id):
    _check(_world().unlink(actor_id))


def monitor(actor_id):
    """Returns the monitor's ref; a ``down`` message arrives when the actor exits."""
    return _check(_world().monitor(actor_id))


def demonitor(ref):
    _check(_world().demonitor(ref))


# --- timers ------------------------------------------------------------------------


def send_after(delay_ms, msg_type, payload=None):
    """Sends this actor a message once, after delay_ms."""
    return _check(_world().send_after(_whole(delay_ms, "delay_ms"), msg_type, _payload(payload)))


def send_interval(interval_ms, msg_type, payload=None):
    """Sends this actor a message every interval_ms; returns the timer's id for cancel_timer."""
    return _check(_world().send_interval(_whole(interval_ms, "interval_ms"), msg_type, _payload(payload)))


def cancel_timer(timer_id):
    _check(_world().cancel_timer(timer_id))


# --- key-value -------------------------------------------------------------------------


def kv_get(key, default=None):
    """The value (a string), or default when the key is absent."""
    value = _check(_world().kv_get(key))
    return default if value == "" else value


def kv_put(key, value, ttl_ms=None):
    """Stores a string (other values are stored as their JSON); with ttl_ms the key expires."""
    text = value if isinstance(value, str) else json.dumps(value)
    if ttl_ms is None:
        _check(_world().kv_put(key, text))
    else:
        _check(_world().kv_put_ttl(key, text, _whole(ttl_ms, "ttl_ms")))


def kv_delete(key):
    _check(_world().kv_delete(key))


def kv_list(prefix=""):
    """Keys starting with prefix, in order."""
    return json.loads(_check(_world().kv_list(prefix)))


# --- tuple space ---------------------------------------------------------------------------


def _tuple_text(value, what):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    raise TypeError(f"a {what} is a list or its JSON text, got {type(value).__name__}")


def _tuple_answer(asked, result):
    _check(result)
    if isinstance(asked, str):
        return result
    return None if result == "" else json.loads(result)


def ts_write(tuple_):
    """Writes a tuple (None fields are values here, not wildcards)."""
    _check(_world().ts_write(_tuple_text(tuple_, "tuple")))


def ts_read(pattern):
    """The oldest match (None fields are wildcards), without removing it; never blocks."""
    return _tuple_answer(pattern, _world().ts_read(_tuple_text(pattern, "pattern")))


def ts_take(pattern):
    """Removes and returns the oldest match; never blocks."""
    return _tuple_answer(pattern, _world().ts_take(_tuple_text(pattern, "pattern")))


def ts_read_all(pattern):
    """Every match, oldest first (a list; JSON text when the pattern was text)."""
    result = _check(_world().ts_read_all(_tuple_text(pattern, "pattern")))
    return result if isinstance(pattern, str) else json.loads(result)


def ts_eval(tuple_, on_error="value", timeout_ms=0):
    """Linda's eval: fields ``{"$eval": {"module", "task", "args"}}`` (or ``{"actor", "message", "args"}``) run in
    parallel on the node's worker pool and are replaced by their replies; the finished tuple is written to this
    actor's space and returned. This actor waits meanwhile: a computation must not ask it. A platform world only.
    """
    if on_error not in ("value", "reject"):
        raise ValueError(f"on_error must be 'value' or 'reject', got {on_error!r}")
    result = _check(_world().ts_eval(_tuple_text(tuple_, "tuple"), on_error, _whole(timeout_ms, "timeout_ms")))
    return result if isinstance(tuple_, str) else json.loads(result)


# --- locks ---------------------------------------------------------------------------------------


def lock_acquire(*args, lease_secs=30, holder=""):
    """Takes a lease-based lock in this actor's tenant and namespace. Two forms:

    - ``lock_acquire(name, timeout_ms=0)``: the grant's fencing version, or
      None when another holder kept the lock past timeout_ms. The lease is
      lease_secs (30); the holder is this actor unless given.
    - the world's six arguments, ``lock_acquire(tenant, namespace, holder,
      name, lease_secs, timeout_ms)``: the host's answer as text (JSON with
      ``version`` on success, ``ERROR …`` otherwise), as the articles' leader
      election reads it.
    """
    world = _world()
    if len(args) == 6:
        tenant, namespace, holder_id, name, lease, timeout = args
        return world.lock_acquire(tenant, namespace, holder_id, name, _whole(lease, "lease_secs"), _whole(timeout, "timeout_ms"))
    if len(args) not in (1, 2):
        raise TypeError(f"lock_acquire takes (name, timeout_ms=0) or the world's six arguments, got {len(args)}")
    name = args[0]
    timeout = args[1] if len(args) == 2 else 0
    result = world.lock_acquire("", "", holder, name, _whole(lease_secs, "lease_secs"), _whole(timeout, "timeout_ms"))
    if result.startswith("ERROR PLEX_ERR_LOCK_TIMEOUT"):
        return None
    return json.loads(_check(result))["version"]


def lock_release(*args, holder=""):
    """Releases a grant: ``lock_release(name, version)``, or the world's five arguments (the host's answer as text).

    The short form raises HostCallError (PLEX_ERR_LOCK_FENCED) when the lease
    lapsed and another holder may have the lock.
    """
    world = _world()
    if len(args) == 5:
        return world.lock_release(*args)
    if len(args) != 2:
        raise TypeError(f"lock_release takes (name, version) or the world's five arguments, got {len(args)}")
    name, version = args
    _check(world.lock_release(name, "", "", holder, str(version)))


# --- blobs and channels ----------------------------------------------------------------------------


def blob_upload(blob_id, data, content_type="application/octet-stream"):
    return json.loads(_check(_world().blob_upload(blob_id, data, content_type)))


def blob_download(blob_id):
    return _check(_world().blob_download(blob_id))


def channel_send(channel, message, timeout_ms=0):
    """Queues a JSON message on a bounded channel, waiting up to timeout_ms while it is full."""
    _check(_world().channel_send(channel, json.dumps(message), _whole(timeout_ms, "timeout_ms")))


def channel_receive(channel, timeout_ms=0):
    """``{"id", "message", "attempt"}``, or None when nothing arrived within timeout_ms."""
    result = _check(_world().channel_receive(channel, _whole(timeout_ms, "timeout_ms")))
    return None if result == "" else json.loads(result)


def channel_ack(channel, delivery_id):
    _check(_world().channel_ack(channel, _whole(delivery_id, "delivery_id")))


def channel_nack(channel, delivery_id, requeue=True):
    _check(_world().channel_nack(channel, _whole(delivery_id, "delivery_id"), bool(requeue)))


# --- process groups ------------------------------------------------------------------------------


def _pg_join(group, actor_id=None, topics=None):
    """Joins the group (in this actor's scope). An actor joins only itself: actor_id, if given, must be its own id."""
    world = _world()
    if actor_id is not None and actor_id != world.self_id():
        raise ValueError(f"an actor joins groups itself: {actor_id!r} is not this actor ({world.self_id()!r})")
    if topics:
        _check(world.pg_join_topics(group, json.dumps(list(topics))))
    else:
        _check(world.pg_join(group))


def _pg_leave(group):
    """True when this actor was a member."""
    return _check(_world().pg_leave(group)) == "ok"


def _pg_publish(group, payload=None, topic=None, msg_type="message"):
    """Sends payload to every member (or to the members of topic); returns how many got it."""
    world = _world()
    if topic is None:
        return int(_check(world.pg_broadcast(group, msg_type, _payload(payload))))
    return int(_check(world.pg_publish(group, topic, msg_type, _payload(payload))))


def _pg_broadcast(group, msg_type, payload=None):
    return int(_check(_world().pg_broadcast(group, msg_type, _payload(payload))))


def _pg_members(group):
    """The members' actor ids."""
    return json.loads(_check(_world().pg_members(group)))


process_groups = SimpleNamespace(
    join=_pg_join,
    leave=_pg_leave,
    publish=_pg_publish,
    broadcast=_pg_broadcast,
    get_members=_pg_members,
    members=_pg_members,
)
