"""The smallest asyncio script: outside a notebook, ``asyncio.run()`` starts the event loop.

Lesson 00 runs it with ``python -m support.examples.hello_loop`` to contrast a script with the notebook kernel,
whose loop is already running.
"""

import asyncio


async def greet(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    return f"hello, {name}"


def main() -> None:
    print("a loop is running before asyncio.run():", _loop_running())
    print(asyncio.run(greet("script", 0.1)))


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # raised when no loop runs in this thread
        return False
    return True


if __name__ == "__main__":
    main()
