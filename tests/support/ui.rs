//! Small WebDriver helpers for driving the app's UI.

use std::time::Duration;

use fantoccini::{Client, Locator};

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Clicks the element once it is there. A click WebKitWebDriver refuses (the element was just
/// rendered, or is still moving into place) is retried for a few seconds before it fails.
pub async fn click(client: &Client, css: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let element = find(client, css).await;
        // Bring it into view first: a form that just opened may reach below the window.
        let _ = client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(&element).unwrap_or_default()],
            )
            .await;
        match element.click().await {
            Ok(()) => return,
            Err(err) if std::time::Instant::now() > deadline => panic!("click {css}: {err:?}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

pub async fn click_button(client: &Client, text: &str) {
    let xpath = format!("//button[normalize-space()='{text}']");
    wait_for(client, Locator::XPath(&xpath))
        .await
        .click()
        .await
        .unwrap_or_else(|err| panic!("click button {text:?}: {err}"));
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    find(client, css)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|err| panic!("type into {css}: {err}"));
}

/// Replaces what a field holds with `text`, as a person does: erase it, then type. (Typing
/// puts the caret after the field's content, so one Backspace per character erases it.)
pub async fn replace_text(client: &Client, css: &str, text: &str) {
    let held = value_of(client, css).await.chars().count();
    let erase = "\u{E003}".repeat(held);
    type_into(client, css, &format!("{erase}{text}")).await;
}

/// What an input field holds now.
pub async fn value_of(client: &Client, css: &str) -> String {
    find(client, css)
        .await
        .prop("value")
        .await
        .unwrap_or_else(|err| panic!("read the value of {css}: {err}"))
        .unwrap_or_default()
}

pub async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    wait_for(client, Locator::Css(css)).await
}

async fn wait_for(client: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        match client.find(locator).await {
            Ok(element) => return element,
            Err(err) if std::time::Instant::now() > deadline => {
                panic!("{locator:?} never appeared: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Resizes the window to `width` × `height` (its inner size, what the page lays out in) and
/// waits until the page sees that size.
pub async fn resize_inner(client: &Client, width: u32, height: u32) {
    let inner = || async {
        let v = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("read the window size");
        serde_json::from_value::<(u32, u32)>(v).expect("two numbers")
    };
    // The outer size includes any decoration: adjust once by what the page reports.
    client
        .set_window_size(width, height)
        .await
        .expect("resize the window");
    let (w, h) = inner().await;
    if (w, h) != (width, height) {
        client
            .set_window_size(
                width + (width - w.min(width)),
                height + (height - h.min(height)),
            )
            .await
            .expect("resize the window");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = inner().await;
        if now == (width, height) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page never got {width}x{height}: it is {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What does not fit on the current screen, in words (empty when everything fits): a badge
/// that wraps onto a second line, overflows its text or is cut off by its cell; a table row
/// whose columns run past the table; a list that must scroll to show its items; a state
/// diagram drawn too small to read; a page that scrolls sideways.
pub async fn layout_problems(client: &Client) -> Vec<String> {
    let found = client
        .execute(
            r#"
            const problems = [];
            const name = (el) => (el.getAttribute('data-testid') || el.className || el.tagName)
                + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
            for (const b of document.querySelectorAll('.badge')) {
                const r = b.getBoundingClientRect();
                if (r.width === 0) continue;
                const line = parseFloat(getComputedStyle(b).fontSize) * 1.7;
                if (r.height > line + 4) problems.push('wraps: ' + name(b));
                if (b.scrollWidth > b.clientWidth + 1) problems.push('overflows: ' + name(b));
                const cell = b.parentElement.getBoundingClientRect();
                if (r.right > cell.right + 1 && getComputedStyle(b.parentElement).overflow !== 'visible')
                    problems.push('cut off by its cell: ' + name(b));
            }
            for (const row of document.querySelectorAll('.row')) {
                if (row.getBoundingClientRect().width === 0) continue;
                if (row.scrollWidth > row.clientWidth + 1)
                    problems.push('columns run past the table: ' + name(row));
            }
            for (const list of document.querySelectorAll('.transition-list')) {
                if (list.scrollHeight > list.clientHeight + 1)
                    problems.push('must scroll to show its items: ' + name(list));
            }
            for (const svg of document.querySelectorAll('.state-diagram')) {
                const w = svg.getBoundingClientRect().width;
                if (w > 0 && w < 420) problems.push('state diagram only ' + Math.round(w) + ' px wide');
            }
            const content = document.querySelector('.content');
            if (content && content.scrollWidth > content.clientWidth + 1)
                problems.push('the page scrolls sideways by ' + (content.scrollWidth - content.clientWidth) + ' px');
            return problems;
            "#,
            vec![],
        )
        .await
        .expect("measure the layout");
    serde_json::from_value(found).expect("a list of problems")
}
