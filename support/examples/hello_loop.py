"""The smallest asyncio script: outside a notebook, ``asyncio.run()`` starts the event loop.

Lesson 00 teaches this code in its own cells (a test keeps the two the same) and runs the file with
``python -m support.examples.hello_loop``, to contrast a script with the notebook kernel, whose loop is already
running.
"""

import asyncio
from asyncio import run  # the way into async code from a script


async def greet(name: str, delay: float) -> str:
    await asyncio.sleep(delay)  # give control back to the loop while we wait
    return f"hello, {name}"


def loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # raised when no loop runs in this thread
        return False
    return True


def main() -> None:
    print("a loop is running before the script starts one:", loop_running())
    print(run(greet("script", 0.1)))


if __name__ == "__main__":
    main()
