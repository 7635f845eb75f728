class OutOfStock(Exception):
    pass


def check(sku: str, wanted: int) -> int:
    left = {"sku-1": 5}.get(sku, 0)
    if left < wanted:
        raise OutOfStock(f"{sku} is sold out")
    return left


class Warehouse:
    def __init__(self):
        self.reserved = []

    def reserve(self, sku: str, wanted: int = 1) -> str:
        check(sku, wanted)
        self.reserved.append(sku)
        return sku

    @staticmethod
    def label(sku: str) -> str:
        return f"[{sku}]"

    def items(self):
        yield from self.reserved
