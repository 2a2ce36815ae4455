"""What a step ran with, recorded the same way in every step (a module beside the flows)."""
import platform


def versions() -> dict:
    import pandas

    return {"python": platform.python_version(), "pandas": pandas.__version__}


def show(step: str, ran: dict) -> None:
    print(f"{step}: Python {ran['python']}, pandas {ran['pandas']}")
