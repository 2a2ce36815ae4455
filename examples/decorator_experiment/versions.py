"""What a step ran with, recorded the same way in every step, and give_something's pick
(a module beside the flows, so that both variants share them)."""
import platform


def versions() -> dict:
    import pandas

    return {"python": platform.python_version(), "pandas": pandas.__version__}


def show(step: str, ran: dict) -> None:
    print(f"{step}: Python {ran['python']}, pandas {ran['pandas']}")


def something(seed: int):
    """give_something's pick: a number or a letter (seed 0: a new pick each run)."""
    import random
    import string

    pick = random.Random(seed or None)
    return pick.choice([pick.randint(1, 100), pick.choice(string.ascii_lowercase)])
