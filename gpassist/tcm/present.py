"""TCM suggestions stored on an encounter, as the API shows them."""

from __future__ import annotations

from gpassist.tcm.schemas import StoredSuggestionOut
from gpassist.tcm.tables import TcmSuggestion


def stored_suggestion_out(row: TcmSuggestion) -> StoredSuggestionOut:
    """A stored suggestion; its syndromes read back through ``StoredSyndrome``, the type the
    service stored them with."""
    return StoredSuggestionOut(
        id=row.id,
        model=row.model_name,
        model_version=row.model_version,
        request=row.request,
        disease=row.disease,
        disease_probability=row.disease_probability,
        syndromes=row.syndromes,
        out_of_scope=row.out_of_scope,
        created_by_id=row.created_by_id,
        created_at=row.created_at,
    )
