/* Every handler the route table names, one group per resource file. */
#ifndef CRM_HANDLERS_H
#define CRM_HANDLERS_H

#include "http/http.h"

/* ops.c */
void h_health(struct request *req);
void h_ready(struct request *req);
void h_metrics(struct request *req);
void h_openapi(struct request *req);
void h_test_hello(struct request *req);

#endif
