class CardDeclined(Exception):
    pass


async def limit_for(card: str) -> int:
    return 100


class Processor:
    async def authorize(self, card: str, amount: int) -> str:
        if amount > await limit_for(card):
            raise CardDeclined(f"{amount} is over the limit of card {card}")
        return "auth-1"

    async def steps(self):
        for step in ("authorize", "capture"):
            yield step


async def charge(amount: int) -> str:
    processor = Processor()
    steps = [s async for s in processor.steps()]
    return f"{await processor.authorize('4242', amount)}:{'+'.join(steps)}"
