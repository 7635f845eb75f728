class CardDeclined(Exception):
    pass


def charge(order: str):
    return authorize(order)


def authorize(order: str):
    raise CardDeclined(f"card declined for order {order}")
