"""Migration operations the apps share."""

from django.db.migrations.operations.base import Operation
from django.db.migrations.utils import get_references


class MoveModel(Operation):
    """Move a model to another app, under a new name if given, keeping every row, constraint and index.

    The model's state moves (fields, options, constraints and indexes as they were), every relation to it is
    repointed, and its table is renamed to the new app's default name: PostgreSQL and SQLite rename a table in
    place, so its rows, constraints, indexes and the foreign keys that point at it come along.
    """

    reversible = True

    def __init__(self, from_app: str, name: str, to_app: str, new_name: str | None = None):
        self.from_app, self.name, self.to_app, self.new_name = from_app, name, to_app, new_name or name

    def deconstruct(self):
        kwargs = {"from_app": self.from_app, "name": self.name, "to_app": self.to_app, "new_name": self.new_name}
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        _move_state(state, (self.from_app, self.name), (self.to_app, self.new_name))

    def state_backwards(self, app_label, state):
        _move_state(state, (self.to_app, self.new_name), (self.from_app, self.name))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        old = from_state.apps.get_model(self.from_app, self.name)
        new = to_state.apps.get_model(self.to_app, self.new_name)
        if self.allow_migrate_model(schema_editor.connection.alias, new):
            schema_editor.alter_db_table(new, old._meta.db_table, new._meta.db_table)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        new = from_state.apps.get_model(self.to_app, self.new_name)
        old = to_state.apps.get_model(self.from_app, self.name)
        if self.allow_migrate_model(schema_editor.connection.alias, old):
            schema_editor.alter_db_table(old, new._meta.db_table, old._meta.db_table)

    def describe(self):
        return f"Move {self.from_app}.{self.name} to {self.to_app}.{self.new_name}"

    @property
    def migration_name_fragment(self):
        return f"move_{self.name.lower()}"


def _move_state(state, source: tuple[str, str], target: tuple[str, str]) -> None:
    """As ProjectState.rename_model does within one app, across two."""
    old_key = (source[0], source[1].lower())
    new_key = (target[0], target[1].lower())
    moved = state.models[old_key].clone()
    moved.app_label, moved.name = target
    state.models[new_key] = moved
    to_reload = set()
    for model_state, name, field, reference in get_references(state, old_key):
        changed = field.clone()
        if reference.to:
            changed.remote_field.model = f"{target[0]}.{target[1]}"
        if reference.through:
            changed.remote_field.through = f"{target[0]}.{target[1]}"
        model_state.fields[name] = changed
        to_reload.add((model_state.app_label, model_state.name_lower))
    state._relations = None  # worked out again from the models when next needed
    state.reload_models(to_reload, delay=True)
    state.remove_model(*old_key)
    state.reload_model(*new_key, delay=True)
