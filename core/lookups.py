"""``in`` on an integer column leaves out the values such a column cannot hold.

Django's own ``exact``, ``gt``, ``gte``, ``lt`` and ``lte`` do so since 5.0 (ticket #27397),
but not ``in``: a value beyond 64 bits in ``pk__in`` raised OverflowError on SQLite, a 500
wherever a posted or queried id reached a multiple choice field (the admin's page filter by
owner, a user's groups, a group's permissions). Such a value matches no row, as with ``exact``.
"""

from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            internal_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(internal_type)
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)
