"""The base of the table models, as the type checker sees it.

SQLModel's metaclass sets ``__table__`` (the Core ``Table``) on every ``table=True`` class but does not
declare it, so ``Model.__table__.c`` would not type-check. ``TableModel`` declares it for the type
checker only: at run time it is ``SQLModel`` itself, so the models and their mapping are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlmodel import SQLModel

if TYPE_CHECKING:
    from sqlalchemy import Table

    class TableModel(SQLModel):
        __table__: ClassVar[Table]

else:
    TableModel = SQLModel

__all__ = ["TableModel"]
