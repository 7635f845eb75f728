from .stock import Warehouse


def place_order(sku: str) -> dict:
    warehouse = Warehouse()
    reserved = warehouse.reserve(sku)
    return {"sku": Warehouse.label(reserved), "items": list(warehouse.items())}
