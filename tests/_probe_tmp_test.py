from trainadmin.models import Role
from tests import factories

def test_probe(browser_login, live_url, committed_db):
    m = factories.make_user(role=Role.MANAGER)
    s = factories.make_session(label="X")
    factories.make_sequence(s, label="Seq A")
    factories.enrol(s)
    sid = s.id
    committed_db.session.commit()
    page = browser_login(m)
    page.goto(f"{live_url}/admin/sessions/edit/?id={sid}")
    b = page.locator("#sequences-button")
    b.scroll_into_view_if_needed()
    print(b.evaluate("e => { const r = e.getBoundingClientRect(); const x = document.elementFromPoint(r.x + r.width/2, r.y + r.height/2); return [r.x, r.y, r.width, r.height, x.outerHTML.slice(0,100), getComputedStyle(e).pointerEvents, e.closest('fieldset') && e.closest('fieldset').disabled] }"))
    print(page.evaluate("() => jQuery('#sequences-0-teaching_mode').prop('disabled') + ' ' + jQuery('#s2id_sequences-0-teaching_mode').attr('class')"))
    print(page.evaluate("() => jQuery('#s2id_training').attr('class')"))
    page.locator("#s2id_sequences-0-teaching_mode").click()
    page.wait_for_timeout(300)
    print(page.locator(".select2-drop-active").count(), page.locator(".select2-drop-active").is_visible() if page.locator(".select2-drop-active").count() else None)
    page.screenshot(path="/tmp/bt/locked3.png")
