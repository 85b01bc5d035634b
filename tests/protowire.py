"""Protocol Buffers wire format, read without a schema (the field numbers are the caller's).

    for num, wt, v in protowire.fields(buf):   # v: int (varint, fixed) or bytes (length-delimited)
        ...
    protowire.packed(v)                         # a packed repeated varint field's values
"""


def varint(buf, i):
    """(value, next offset) of the varint at buf[i]."""
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, i
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of a message: varints and fixed-width values as
    unsigned ints, length-delimited ones as bytes."""
    i, n = 0, len(buf)
    while i < n:
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wt == 2:
            ln, i = varint(buf, i)
            v, i = bytes(buf[i:i + ln]), i + ln
        elif wt == 5:
            v, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise ValueError(f"wire type {wt} at offset {i}")
        yield num, wt, v


def signed(v):
    """An int64 field's value (two's complement in a varint)."""
    return v - (1 << 64) if v >= 1 << 63 else v


def packed(buf):
    """The values of a packed repeated varint field."""
    out, i = [], 0
    while i < len(buf):
        v, i = varint(buf, i)
        out.append(v)
    return out
