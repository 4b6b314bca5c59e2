"""The ChatGPT ``mapping`` tree: which branch the UI showed, and what it left.

The displayed branch is the walk from ``current_node`` up through ``parent``
(EXPORT_FORMATS.md §2.9). Real exports break that in three ways, each noted in parse
health: ``current_node`` missing, ``current_node`` naming a node that is not in
``mapping``, and ``parent`` links to absent nodes. A broken or empty choice falls back
to the leaf with the newest message whose branch shows something, so a conversation
with visible messages is never read as empty.
"""

from __future__ import annotations

from itertools import pairwise

from convoscope_common.corpus import Role
from convoscope_ingest.chatgpt_raw import RawMessage, RawNode
from convoscope_ingest.health import (
    NOTE_DANGLING_PARENT,
    NOTE_LEAF_DANGLING,
    NOTE_LEAF_EMPTY_BRANCH,
    NOTE_LEAF_MISSING,
    HealthRecorder,
)

ROLES: dict[str, Role] = {"user": "user", "assistant": "assistant"}
_HIDDEN_TYPES = frozenset(
    {
        "thoughts",
        "reasoning_recap",
        "tether_browsing_display",
        "sonic_webpage",
        "system_error",
        "model_editable_context",
        "user_editable_context",
    }
)


def is_hidden(message: RawMessage) -> bool:
    """Whether the ChatGPT UI leaves this message out of the transcript (§2.8)."""
    role = message.author.role if message.author else ""
    content = message.content
    content_type = content.content_type if content else ""
    metadata = message.metadata
    if metadata is not None and metadata.is_visually_hidden_from_conversation:
        return True
    if role not in ROLES:  # system, tool, function
        return True
    if content_type in _HIDDEN_TYPES or content_type == "code":
        return True
    return role == "assistant" and message.recipient not in (None, "all")


def _shows_something(message: RawMessage | None) -> bool:
    """A message the transcript shows with some content (a cheap test, no decoding)."""
    if message is None or is_hidden(message) or message.content is None:
        return False
    content = message.content
    if content.text and content.text.strip():
        return True
    return any(bytes(part) not in (b'""', b"null") for part in content.parts or [])


def children_of(mapping: dict[str, RawNode], health: HealthRecorder) -> dict[str, list[str]]:
    """Children per node, rebuilt from ``parent`` links (some exports lack ``children``)."""
    children: dict[str, list[str]] = {}
    listed = False
    for node_id, node in mapping.items():
        listed = listed or bool(node.children)
        if node.parent is None:
            continue
        if node.parent in mapping:
            children.setdefault(node.parent, []).append(node_id)
        else:
            health.note(NOTE_DANGLING_PARENT)
    if len(mapping) > 1 and not listed:
        health.shape("chatgpt: trees only through parent links (children empty)")
    return children


def displayed_path(
    mapping: dict[str, RawNode],
    children: dict[str, list[str]],
    current_node: str | None,
    health: HealthRecorder,
) -> list[str]:
    """Node ids from the root to the shown leaf (``current_node`` or the newest leaf)."""
    if not mapping:
        return []
    if current_node is not None and current_node in mapping:
        path = _walk_up(mapping, current_node)
        if any(_shows_something(mapping[n].message) for n in path) or not any(
            _shows_something(node.message) for node in mapping.values()
        ):
            return path
        health.note(NOTE_LEAF_EMPTY_BRANCH)
    elif current_node is None:
        health.note(NOTE_LEAF_MISSING)
    else:
        health.note(NOTE_LEAF_DANGLING)
    return _newest_visible_branch(mapping, children)


def _walk_up(mapping: dict[str, RawNode], leaf: str) -> list[str]:
    path: list[str] = []
    seen: set[str] = set()
    node_id: str | None = leaf
    while node_id is not None and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        path.append(node_id)
        node_id = mapping[node_id].parent
    path.reverse()
    return path


def _newest_visible_branch(
    mapping: dict[str, RawNode], children: dict[str, list[str]]
) -> list[str]:
    """The branch of the leaf with the newest message among those that show something.

    A leaf's time is its own ``create_time``, else its nearest timed ancestor's (hidden
    nodes often have none); ties go to the later node in the mapping. What each node's
    branch holds is computed once per node (memoised walk up), so a wide or deep tree
    costs linear time, not leaves × depth.
    """
    facts: dict[str, tuple[float, bool]] = {}  # node -> (newest time, shows something)
    for start in mapping:
        stack: list[str] = []
        on_stack: set[str] = set()
        node_id: str | None = start
        while node_id is not None and node_id in mapping and node_id not in facts:
            if node_id in on_stack:  # a parent cycle: its top counts as a root
                break
            stack.append(node_id)
            on_stack.add(node_id)
            node_id = mapping[node_id].parent
        above = facts.get(node_id, (float("-inf"), False)) if node_id else (float("-inf"), False)
        for current in reversed(stack):
            message = mapping[current].message
            own = message.create_time if message is not None else None
            above = (
                own if own is not None else above[0],
                above[1] or _shows_something(message),
            )
            facts[current] = above
    leaves = [node_id for node_id in mapping if node_id not in children] or list(mapping)
    best = max(
        enumerate(leaves),
        key=lambda item: (
            facts[item[1]][0] if facts[item[1]][1] else float("-inf"),
            item[0] if facts[item[1]][1] else -1,
        ),
    )[1]
    return _walk_up(mapping, best)


def left_alternatives(
    mapping: dict[str, RawNode], children: dict[str, list[str]], path: list[str]
) -> list[set[Role]]:
    """Per node of the displayed path, the roles of the sibling branches the user left.

    A sibling is an alternative for a role when it is, or leads through hidden nodes to,
    a visible message of that role; a sibling holding only hidden nodes is none.
    """
    result: list[set[Role]] = [set()] if path else []  # one entry per node of the path
    seen: set[str] = set(path)  # also guards against parent cycles in damaged exports
    for parent, node_id in pairwise(path):
        roles: set[Role] = set()
        for sibling in children.get(parent, []):
            if sibling != node_id and sibling not in seen:
                roles.update(_first_visible_roles(mapping, children, sibling, seen))
        result.append(roles)
    return result


def _first_visible_roles(
    mapping: dict[str, RawNode], children: dict[str, list[str]], start: str, seen: set[str]
) -> set[Role]:
    """Roles of the first visible messages below ``start`` (itself included), one per role."""
    roles: set[Role] = set()
    stack = [start]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        message = mapping[node_id].message
        if message is not None and not is_hidden(message):
            roles.add(ROLES[message.author.role if message.author else ""])
        else:
            stack.extend(children.get(node_id, []))
    return roles
