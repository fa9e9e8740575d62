"""Migration operations the apps share."""

from django.db.migrations.operations.base import Operation
from django.db.migrations.utils import get_references
from django.db.models import UniqueConstraint


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


class RestateConstraints(Operation):
    """Rename constraints, or restate them around field operations that rename a column they use, without
    rebuilding them where the database can help it.

    `constraints` pairs each constraint as it was with the constraint as it is now (new name, fields, condition);
    `operations` are field operations of the same model (RenameField, AlterField) that the constraints must not
    stand in the way of. PostgreSQL keeps an index or CHECK constraint through a column rename, so there the
    constraints are only renamed in place, whatever the table's size; other databases (the SQLite demo) drop
    them before the operations and create them again after.
    """

    reversible = True

    def __init__(self, model_name: str, constraints: list, operations: list = ()):
        self.model_name, self.constraints, self.operations = model_name, list(constraints), list(operations)

    def deconstruct(self):
        kwargs = {"model_name": self.model_name, "constraints": self.constraints, "operations": self.operations}
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        self._forwards(app_label, None, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._forwards(app_label, schema_editor, from_state.clone())

    def _forwards(self, app_label, schema_editor, state) -> None:
        """The state alone when `schema_editor` is None; else the database too, starting from `state`."""
        model = self.model_name.lower()
        on_db = schema_editor is not None
        in_place = on_db and schema_editor.connection.vendor == "postgresql"
        for old, _new in self.constraints:
            state.remove_constraint(app_label, model, old.name)
            if on_db and not in_place:
                schema_editor.remove_constraint(state.apps.get_model(app_label, model), old)
        for operation in self.operations:
            before = state.clone() if on_db else None
            operation.state_forwards(app_label, state)
            if on_db:
                operation.database_forwards(app_label, schema_editor, before, state)
        for old, new in self.constraints:
            state.add_constraint(app_label, model, new)
            if on_db and not in_place:
                schema_editor.add_constraint(state.apps.get_model(app_label, model), new)
            elif in_place and old.name != new.name:
                _rename_in_place(schema_editor, state.apps.get_model(app_label, model), old, new)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = self.model_name.lower()
        in_place = schema_editor.connection.vendor == "postgresql"
        # The states the field operations went through, from the state before them, the old constraints taken out.
        state = to_state.clone()
        for old, _new in self.constraints:
            state.remove_constraint(app_label, model, old.name)
        states = [state.clone()]
        for operation in self.operations:
            operation.state_forwards(app_label, state)
            states.append(state.clone())
        # Take the constraints as they are now out of the way, undo the field operations, put the old ones back.
        state = from_state.clone()
        for _old, new in self.constraints:
            state.remove_constraint(app_label, model, new.name)
            if not in_place:
                schema_editor.remove_constraint(state.apps.get_model(app_label, model), new)
        for index in reversed(range(len(self.operations))):
            self.operations[index].database_backwards(app_label, schema_editor, states[index + 1], states[index])
        state = states[0]
        for old, new in self.constraints:
            state.add_constraint(app_label, model, old)
            if not in_place:
                schema_editor.add_constraint(state.apps.get_model(app_label, model), old)
            elif old.name != new.name:
                _rename_in_place(schema_editor, state.apps.get_model(app_label, model), new, old)

    def describe(self):
        return f"Restate {', '.join(new.name for _old, new in self.constraints)} on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"restate_{self.model_name.lower()}_constraints"


def _rename_in_place(schema_editor, model, old, new) -> None:
    quote = schema_editor.quote_name
    if isinstance(old, UniqueConstraint) and (old.condition is not None or old.expressions):
        # A unique constraint with a condition or expressions is a unique index in PostgreSQL.
        schema_editor.execute(f"ALTER INDEX {quote(old.name)} RENAME TO {quote(new.name)}")
    else:
        table = quote(model._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {quote(old.name)} TO {quote(new.name)}")


def postgresql_only(forward: str, backward: str):
    """A RunPython that runs `forward` (and `backward` when migrating back) on PostgreSQL, and nothing on SQLite (the
    demo), whose database has no triggers of the app's."""
    from django.db.migrations import RunPython

    def run(sql: str):
        def runner(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return runner

    return RunPython(run(forward), run(backward))
