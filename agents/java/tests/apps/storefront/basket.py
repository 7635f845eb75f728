import os

import requests


class Basket:
    def buy(self):
        reply = requests.get(f"{os.environ['SHOP_URL']}/checkout", timeout=10)
        reply.raise_for_status()
        return reply.json()
