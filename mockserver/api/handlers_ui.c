/* GET /_mock/ui: the dashboard, one self-contained HTML page compiled into
 * the binary (mockserver/embed/ui.html). It holds no data: its script reads
 * the control plane (and sends the admin token as a header when the server
 * has one), so the page itself is served without the token. */
#include "api/handlers.h"

#include <string.h>

/* Generated from mockserver/embed/ui.html (ui_data.c.in). */
extern const unsigned char mock_ui_html[];
extern const size_t mock_ui_html_len;

void handle_mock_ui(const mock_request *req, mock_reply *reply)
{
    (void)req;
    strbuf_release(&reply->text);
    strbuf_append(&reply->text, (const char *)mock_ui_html, mock_ui_html_len);
    if (reply->text.oom)
        return; /* the dispatcher answers 500 */
    json_decref(reply->body);
    reply->body = NULL;
    reply->status = 200;
    reply->content_type = "text/html; charset=utf-8";
}
