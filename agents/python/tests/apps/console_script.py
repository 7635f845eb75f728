"""Places one order that fails, for the console exporter test."""
from shop.orders import place_order

try:
    place_order("sku-9")
except Exception:
    pass
print(place_order("sku-1")["sku"])
