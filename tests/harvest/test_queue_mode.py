"""ckanext-harvest's queue mode keeps working: gather and fetch consumers on Redis (db 5)."""

from __future__ import annotations

import os
import subprocess
import time

import ckan.plugins.toolkit as tk
from conftest import ckan_command, harvest_config
from harvest_data import rows, to_csv

pytestmark = harvest_config()


def test_gather_and_fetch_consumers_harvest_the_source(make_source, file_root, cli_ini,
                                                      sysadmin):
    from ckan import model
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    path = os.path.join(file_root, "inventaris.csv")
    with open(path, "wb") as fh:
        fh.write(to_csv(rows(12)))
    source = make_source(path, name="inventaris")
    queue.purge_queues()
    ini = cli_ini()
    consumers = [subprocess.Popen([ckan_command(), "-c", ini, "harvester", kind],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL)
                 for kind in ("gather-consumer", "fetch-consumer")]
    try:
        # the UI's "Reharvest" button: a job put on the gather queue
        job = tk.get_action("harvest_job_create")({"user": sysadmin["name"]},
                                                  {"source_id": source["id"]})
        deadline = time.monotonic() + 180
        done = 0
        while time.monotonic() < deadline:
            model.Session.remove()
            done = model.Session.query(HarvestObject).filter(
                HarvestObject.harvest_job_id == job["id"],
                HarvestObject.state == "COMPLETE").count()
            if done == 12:
                break
            time.sleep(0.5)
        assert done == 12
    finally:
        for proc in consumers:
            proc.terminate()
        for proc in consumers:
            proc.wait(timeout=30)
    tk.get_action("harvest_jobs_run")({"user": sysadmin["name"]}, {"source_id": source["id"]})
    model.Session.remove()
    assert HarvestJob.get(job["id"]).status == "Finished"
    report = tk.get_action("harvest_source_show_status")({"ignore_auth": True},
                                                         {"id": source["id"]})
    assert report["last_job"]["stats"].get("added") == 12
    assert model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_source_id == source["id"],
        HarvestObject.current.is_(True)).count() == 12
