from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-11-25T04:22:13:264386"
VERSION = "1.38.0"
DESCRIPTION = "index activity_facilitator.activity"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="scheduling", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ActivityFacilitator",
        tablename="activity_facilitator",
        column_name="activity",
        db_column_name="activity",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
