"""Query parameters the JSON API shares, parsed strictly (what the OpenAPI document says, nothing more)."""
from typing import Any

from rest_framework import serializers


class WholeNumberField(serializers.IntegerField):
    """A whole number written as digits only: DRF's own field also takes "0.0" or " 3 ", which the
    document (type: integer) does not allow."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not data.isdigit():
            self.fail("invalid")
        return super().to_internal_value(data)


class SinceQuery(serializers.Serializer):
    """``?since=N``: the version after which changes are wanted (0: everything)."""

    since = WholeNumberField(min_value=0, required=False, default=0)
