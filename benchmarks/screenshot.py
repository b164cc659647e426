"""Write ``docs/tui.svg`` for the README: the dragon story sample in the token view.

Run: ``python benchmarks/screenshot.py [OUT.svg]``. Drawn by the app itself, headless.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ctxlab.config import Settings
from ctxlab.tui.app import CtxlabApp
from ctxlab.tui.documents import read_sample


async def main(out: Path) -> None:
    text, path = read_sample("dragon_story")
    app = CtxlabApp(Settings(windows=("gpt-4o",)), text=text, name=path.name, path=path)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.settled()
        await pilot.press(*["right"] * 12, "w")
        await app.settled()
        app.save_screenshot(out.name, str(out.parent))
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/tui.svg")))
