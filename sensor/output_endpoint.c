/*
 * output_endpoint.c - the api_endpoint event: an endpoint of the inventory was first learned.
 *
 * Fed by the inventory stage with each announcement of the catalogue and the API call that
 * revealed it, whose flow gives Suricata's common header (output_eve_header, as the http event
 * writes it). `event` says what happened: "new" (first learned), and with a declared spec
 * "shadow" (no operation declares it), "zombie" (its operation is deprecated) and, at exit,
 * "orphan" (an operation no call matched; no flow header then); the `spec` object names the
 * matching operation. Facts of the endpoint at that moment (its first
 * call's status, media types, credential kind) come along; the inventory file has the rest.
 */
#include "output_endpoint.h"

#include "endpoint_private.h"

/* The members naming a declared operation. */
static void output_endpoint_op(json_buf_t *jb, const endpoint_spec_op_t *op)
{
	json_kv_bool(jb, "declared", 1);
	json_kv_u64(jb, "operation", op->index);
	json_kv_str(jb, "method", op->method_name);
	json_kv_str(jb, "path", op->path);
	if (op->operation_id[0])
		json_kv_str(jb, "operation_id", op->operation_id);
	json_kv_bool(jb, "deprecated", op->deprecated);
}

static void output_endpoint_object(json_buf_t *jb, const endpoint_t *ep, const char *event,
				   uint32_t replaced)
{
	const path_template_t *t = ep->tpl;
	const char *name;
	size_t n;
	unsigned i;

	json_open_object(jb, "api_endpoint");
	json_kv_str(jb, "event", event);
	json_kv_str(jb, "host", t->host);
	json_kv_str(jb, "method", t->method);
	json_kv_strn(jb, "template", t->str, t->len);
	json_kv_time(jb, "first_seen", ep->first_us);
	json_kv_u64(jb, "hits", ep->hits);
	if (replaced) {
		json_kv_str(jb, "origin", "collapse");
		json_kv_u64(jb, "replaced", replaced);
	} else {
		json_kv_str(jb, "origin", "traffic");
	}
	json_open_array(jb, "path_params");
	for (i = 0; endpoint__param_name(t, i, &name, &n); i++)
		json_strn(jb, name, n);
	json_close_array(jb);
	json_open_array(jb, "auth");
	for (i = 1; i < PRINCIPAL_AUTH__COUNT; i++)
		if (ep->auth_seen & (1u << i))
			json_str(jb, principal_auth_name(i));
	json_close_array(jb);
	if (ep->spec_op >= 0 || ep->spec_state == ENDPOINT_DRIFT_SHADOW) {
		json_open_object(jb, "spec");
		if (ep->spec_opp)
			output_endpoint_op(jb, ep->spec_opp);
		else
			json_kv_bool(jb, "declared", 0);
		json_close_object(jb);
	}
	json_close_object(jb);
}

int output_endpoint_write(output_t *o, const endpoint_t *ep, const char *event, uint32_t replaced,
			  const api_call_t *call, uint64_t ts_us, uint64_t pcap_cnt)
{
	json_buf_t *jb = output_json(o);

	output_eve_header(o, "api_endpoint", ts_us, call ? call->flow : NULL, FLOW_TOSERVER,
			  pcap_cnt, call && call->flow ? "http" : NULL);
	if (call)
		json_kv_u64(jb, "tx_id", call->tx_id);
	output_endpoint_object(jb, ep, event, replaced);
	if (call && call->principal.len) {
		json_open_object(jb, "api");
		json_kv_strn(jb, "endpoint", ep->tpl->str, ep->tpl->len);
		json_kv_strn(jb, "principal", call->principal.ptr, call->principal.len);
		json_close_object(jb);
	}
	return output_commit(o, "api_endpoint");
}

int output_endpoint_write_orphan(output_t *o, const endpoint_spec_op_t *op, uint64_t ts_us)
{
	json_buf_t *jb = output_json(o);

	output_eve_header(o, "api_endpoint", ts_us, NULL, FLOW_TOSERVER, 0, NULL);
	json_open_object(jb, "api_endpoint");
	json_kv_str(jb, "event", "orphan");
	json_kv_str(jb, "method", op->method_name);
	json_kv_str(jb, "template", op->path);
	json_open_object(jb, "spec");
	output_endpoint_op(jb, op);
	json_close_object(jb);
	json_close_object(jb);
	return output_commit(o, "api_endpoint");
}
