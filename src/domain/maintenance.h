/* Background purges of data whose retention has passed (SPEC §6): tombstones older than
 * TOMBSTONE_RETENTION_DAYS and login failures older than both throttle windows. One thread,
 * a pass at start and then every ten minutes; it survives the store being down. */
#ifndef CRM_DOMAIN_MAINTENANCE_H
#define CRM_DOMAIN_MAINTENANCE_H

struct app;
struct maintenance;

/* Starts the thread (app must outlive it). NULL if it cannot start (logged). */
struct maintenance *maintenance_start(struct app *app);
/* Stops and joins the thread. NULL is ignored. */
void maintenance_stop(struct maintenance *m);

#endif
