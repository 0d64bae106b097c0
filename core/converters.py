"""The ``<id:...>`` path converter: a database id, or no match (a 404).

Django's ``<int:...>`` takes any number of digits; an id beyond the database's integers then
reaches a query and fails there (SQLite cannot take it, PostgreSQL answers "out of range"): a
500 for anyone typing a long number into an address. Ids here are at most ``MAX``, which every
table's key (32-bit page ids, 64-bit others) can hold, and a larger number matches no URL.
"""

#: The largest id a URL may name: the largest 32-bit integer, as page ids are.
MAX = 2**31 - 1


class IdConverter:
    regex = "[0-9]{1,10}"

    def to_python(self, value):
        number = int(value)
        if number > MAX:
            raise ValueError("not an id")  # Django: no match, so a 404
        return number

    def to_url(self, value):
        return str(value)
