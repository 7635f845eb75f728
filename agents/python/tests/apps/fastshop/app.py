from fastapi import FastAPI

from .payments import charge

app = FastAPI()


@app.get("/pay/{amount}")
async def pay(amount: int):
    return {"receipt": await charge(amount)}


@app.get("/health")
async def health():
    return "ok"
