"""Reference docs generated from code must be current."""

from sim.scenario import docs


def test_scenario_reference_is_current():
    assert docs.MARKDOWN.read_text() == docs.markdown(), "run: python -m sim.scenario.docs"


def test_json_schema_is_current():
    assert docs.JSON_SCHEMA.read_text() == docs.schema_text(), "run: python -m sim.scenario.docs"


def test_every_field_is_documented():
    from pydantic import BaseModel

    from sim.scenario.schema import Scenario

    for model in docs._models(Scenario):
        assert issubclass(model, BaseModel)
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no docstring"
