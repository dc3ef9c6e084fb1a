"""Running a piece of test code in several threads at once, as concurrent requests or workers would."""

import threading

from django.db import connection


def at_once(call, count):
    """Run `call(number)` in `count` threads released together; returns their results in order.

    Each thread has its own database connection, closed when it is done. An exception in a thread is raised here.
    """
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def run(number):
        try:
            barrier.wait(10)
            results[number] = call(number)
        except Exception as error:  # noqa: BLE001 (raised again below, in the test's thread)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
