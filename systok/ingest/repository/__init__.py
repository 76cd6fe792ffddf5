"""All SQL of ingestion, one module per concern. Functions take the caller's session;
nothing here commits. The names are re-exported here: callers write ``repo.insert_events``.
"""

from systok.ingest.repository.aliases import (
    alias_owner,
    aliases_at_source,
    aliases_of,
    insert_alias,
    linked_aliases,
    remove_alias,
)
from systok.ingest.repository.attribution import (
    aliases_with_waiting_events,
    attribute_events,
    unattributed_aliases,
)
from systok.ingest.repository.batches import read_cursor, record_batch, write_cursor
from systok.ingest.repository.events import (
    insert_events,
    retract_events,
    stored_events,
    unretracted_events_naming,
)
from systok.ingest.repository.members import (
    ensure_member,
    existing_members,
    find_member,
    list_members,
    member_history,
    profile_on,
    replace_member_history,
)
from systok.ingest.repository.quarantine import (
    dismiss_quarantined,
    keep_in_quarantine,
    members_with_open_lines,
    quarantine_counts,
    quarantine_row,
    quarantine_rows,
    refuse_again,
    resolve_open_member_lines,
    resolve_quarantined,
)

__all__ = [
    "alias_owner",
    "aliases_at_source",
    "aliases_of",
    "aliases_with_waiting_events",
    "attribute_events",
    "dismiss_quarantined",
    "ensure_member",
    "existing_members",
    "find_member",
    "insert_alias",
    "insert_events",
    "keep_in_quarantine",
    "linked_aliases",
    "list_members",
    "member_history",
    "members_with_open_lines",
    "profile_on",
    "quarantine_counts",
    "quarantine_row",
    "quarantine_rows",
    "read_cursor",
    "record_batch",
    "refuse_again",
    "remove_alias",
    "replace_member_history",
    "resolve_open_member_lines",
    "resolve_quarantined",
    "retract_events",
    "stored_events",
    "unattributed_aliases",
    "unretracted_events_naming",
    "write_cursor",
]
