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
