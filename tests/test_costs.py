"""« Ajouter les Coûts » on the session page: the guide's steps, the totals, the orange reminder."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest

from trainadmin.models import Cost, CostSplit, Financing, Role, TrainingDefaultCost

from . import factories
from .conftest import count_rows, flashed_errors, post_form


def page(client, url):
    return unescape(client.get(url).get_data(as_text=True))


def test_add_a_cost_following_the_guide(manager, db):
    animation = factories.make_named(factories.CostType, name="Animation")
    training = factories.make_training()
    training.default_costs.append(TrainingDefaultCost(cost_type=animation, amount=Decimal("1500")))
    session = factories.make_session(training=training, evaluation=factories.make_named(factories.Evaluation))
    supplier = factories.make_named(factories.Supplier, name="Cegos")
    url = f"/admin/sessions/details/?id={session.id}&tab=costs"
    assert 'id="reminder-box"' in page(manager, url)

    chosen = page(manager, url + f"&cost_type={animation.id}")  # type chosen, then « + »
    assert "Montant saisi sur la formation : 1500 €" in chosen
    assert re.search(r'id="cost-amount"[^>]*value="1500', chosen)
    response = post_form(
        manager,
        f"/admin/sessions/cost/add/?id={session.id}",
        {
            "cost_type_id": str(animation.id),
            "amount": "1500",
            "split": "global",
            "supplier_id": str(supplier.id),
        },
    )
    assert response.status_code == 302
    cost = db.session.query(Cost).one()
    assert (cost.amount, cost.split, cost.supplier) == (Decimal("1500"), CostSplit.GLOBAL, supplier)
    after = page(manager, url)
    assert 'id="reminder-box"' not in after  # costs and evaluation both set: the orange box is gone
    assert "1500" in after.split('id="cost-totals"')[1]


def test_totals_per_trainee_and_hour(manager, db):
    session = factories.make_session()
    factories.make_slot(factories.make_sequence(session))  # 7 hours
    factories.enrol(session)
    factories.enrol(session)
    meals = factories.make_named(factories.CostType, name="Restauration")
    post_form(
        manager,
        f"/admin/sessions/cost/add/?id={session.id}",
        {"cost_type_id": str(meals.id), "amount": "35,50", "split": "per_trainee", "quantity": "2"},
    )
    totals = page(manager, f"/admin/sessions/details/?id={session.id}&tab=costs").split('id="cost-totals"')[1]
    assert "71" in totals and "35,5" in totals and "10,14" in totals


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-10"}, "Saisissez un montant entre 0 et"),
        ({"amount": "abc"}, "Saisissez un nombre."),
        ({"amount": "10.123"}, "2 décimales"),
        ({"amount": "100", "split": "per_trainee", "quantity": "0"}, "quantité"),
        ({"amount": "100", "split": "per_trainee"}, "quantité"),
        ({"amount": "100", "supplier_id": "999999"}, "prestataire"),
        ({"amount": "100", "cost_type_id": "999999"}, "type de coût"),
        ({"amount": "100", "split": "weird"}, "répartition"),
    ],
)
def test_bad_costs_are_refused(manager, db, data, message):
    session = factories.make_session()
    cost_type = factories.make_named(factories.CostType)
    response = post_form(
        manager, f"/admin/sessions/cost/add/?id={session.id}", {"cost_type_id": str(cost_type.id), **data}
    )
    assert response.status_code == 302
    shown = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert message in shown
    assert count_rows(db, Cost) == 0


def test_viewer_cannot_add_costs(login_as, db):
    viewer = login_as(Role.VIEWER)
    session = factories.make_session()
    cost_type = factories.make_named(factories.CostType)
    assert 'id="choose-cost-type"' not in page(viewer, f"/admin/sessions/details/?id={session.id}&tab=costs")
    response = post_form(
        viewer, f"/admin/sessions/cost/add/?id={session.id}", {"cost_type_id": str(cost_type.id)}
    )
    assert response.status_code == 403


def test_choose_the_evaluation_and_see_no_data_until_someone_is_enrolled(manager, db):
    from trainadmin.models import SurveyResponse

    evaluation = factories.make_named(factories.Evaluation, name="Satisfaction", questions="Clarté\nUtilité")
    session = factories.make_session()
    db.session.add(
        Cost(session=session, cost_type=factories.make_named(factories.CostType), amount=Decimal(1))
    )
    db.session.flush()
    url = f"/admin/sessions/details/?id={session.id}&tab=evaluation"
    assert 'id="reminder-box"' in page(manager, url)
    response = post_form(
        manager, f"/admin/sessions/evaluation/?id={session.id}", {"evaluation_id": str(evaluation.id)}
    )
    assert response.status_code == 302 and session.evaluation == evaluation
    shown = page(manager, url)
    assert 'id="reminder-box"' not in shown and "Pas de données" in shown
    request = factories.enrol(session)
    db.session.add_all(
        SurveyResponse(
            session_id=session.id, request_id=request.id, evaluation_id=evaluation.id, answers=answers
        )
        for answers in ({"Clarté": 4, "Utilité": 5}, {"Clarté": 3})
    )
    db.session.flush()
    results = page(manager, url).split('id="evaluation-results"')[1]
    assert "2 réponse(s)" in results and "3,5" in results and "Pas de données" not in results
    response = post_form(manager, f"/admin/sessions/evaluation/?id={session.id}", {"evaluation_id": "999999"})
    assert "Choisissez une évaluation" in " ".join(
        flashed_errors(page(manager, response.headers["Location"]))
    )


def test_financing_lines_and_coverage(manager, db):
    session = factories.make_session()
    cost_type = factories.make_named(factories.CostType)
    cpf = factories.make_named(factories.Dispositif, name="CPF")
    db.session.add(Cost(session=session, cost_type=cost_type, amount=Decimal("2000")))
    db.session.flush()
    url = f"/admin/sessions/financing/add/?id={session.id}"
    post_form(
        manager,
        url,
        {"funder": "OPCO Atlas", "dispositif_id": str(cpf.id), "amount": "1500", "status": "granted"},
    )
    post_form(manager, url, {"funder": "Région", "amount": "300", "status": "requested"})
    coverage = page(manager, f"/admin/sessions/details/?id={session.id}&tab=costs").split(
        'id="financing-coverage"'
    )[1]
    assert "1500" in coverage and "75 %" in coverage
    response = post_form(manager, url, {"funder": "", "amount": "-5", "status": "maybe"})
    messages = " ".join(flashed_errors(page(manager, response.headers["Location"])))
    assert "financeur" in messages.lower() and "montant" in messages.lower()


def cost_rows(html: str) -> int:
    return html.split('id="costs-table"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr data-cost=")


def test_costs_tab_query_count_does_not_grow_with_the_lines(manager, db, count_queries):
    cost_types = [factories.make_named(factories.CostType) for _ in range(4)]
    suppliers = [factories.make_named(factories.Supplier) for _ in range(3)]
    dispositif = factories.make_named(factories.Dispositif)
    urls = {}
    for lines in (1, 30):
        session = factories.make_session()
        factories.enrol(session)
        for n in range(lines):
            db.session.add(
                Cost(
                    session=session,
                    cost_type=cost_types[n % 4],
                    amount=Decimal(100 + n),
                    split=CostSplit.PER_TRAINEE if n % 2 else CostSplit.GLOBAL,
                    quantity=1 if n % 2 else None,
                    supplier=suppliers[n % 3],
                )
            )
        db.session.add(
            Financing(
                session=session, funder="OPCO", dispositif=dispositif, amount=Decimal(50), status="granted"
            )
        )
        urls[lines] = f"/admin/sessions/details/?id={session.id}&tab=costs"
    db.session.flush()
    manager.get(urls[1])  # first request of the client: nothing cached yet
    with count_queries() as one:
        shown = page(manager, urls[1])
    with count_queries() as thirty:
        shown_many = page(manager, urls[30])
    assert cost_rows(shown) == 1 and cost_rows(shown_many) == 30
    assert thirty.count == one.count, f"{one.count} queries for 1 cost line, {thirty.count} for 30"
