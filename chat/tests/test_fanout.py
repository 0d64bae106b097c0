"""chat.fanout: room frames reach every connection of the room once, in order, in every process;
the sender is left out; a lost Redis is told to the connections it strands."""

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from chat import fanout
from chat.consumers import ChatConsumer


class Connection:
    """What a hub needs of a consumer."""

    def __init__(self, name):
        self.channel_name = name
        self.frames = []
        self.lost = False

    async def room_frame(self, frame):
        self.frames.append(frame)

    async def lost_channel_layer(self):
        self.lost = True


class Broken(Connection):
    async def room_frame(self, frame):
        raise ConnectionResetError("the socket went away")


async def eventually(condition, timeout=5):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_local_hub_sends_each_frame_to_the_room_but_the_sender_in_order():
    hub = fanout.LocalHub()
    alice, bob, broken, elsewhere = (
        Connection("alice"),
        Connection("bob"),
        Broken("broken"),
        Connection("elsewhere"),
    )
    for connection in (alice, bob, broken):
        await hub.join(7, connection)
    await hub.join(8, elsewhere)
    await hub.publish(7, '{"n": 1}', sender="alice")
    await hub.publish(7, '{"n": 2}')
    assert alice.frames == ['{"n": 2}']
    assert bob.frames == ['{"n": 1}', '{"n": 2}']  # a broken socket does not stop the others
    assert elsewhere.frames == []

    await hub.leave(7, bob)
    await hub.publish(7, '{"n": 3}')
    assert bob.frames == ['{"n": 1}', '{"n": 2}']
    assert alice.frames[-1] == '{"n": 3}'


async def test_redis_hubs_of_two_processes_share_a_room_and_stop_after_leaving(throwaway_redis):
    one, two = (fanout.RedisHub(throwaway_redis.url, "test:room") for _ in range(2))
    alice, bob, carol = Connection("a!1"), Connection("b!2"), Connection("c!3")
    await one.join(5, alice)
    await two.join(5, bob)
    await two.join(6, carol)

    for n in range(20):
        await one.publish(5, f'{{"n": {n}}}', sender="a!1")
    await eventually(lambda: len(bob.frames) == 20)
    assert bob.frames == [f'{{"n": {n}}}' for n in range(20)]
    assert alice.frames == [] and carol.frames == []

    await two.leave(5, bob)
    await two.publish(5, '{"n": "after"}')
    await eventually(lambda: alice.frames == ['{"n": "after"}'])
    assert len(bob.frames) == 20
    for hub in (one, two):
        hub.reader.cancel()


async def test_a_lost_redis_is_told_to_every_connection_and_a_later_join_subscribes_again(
    throwaway_redis,
):
    hub = fanout.RedisHub(throwaway_redis.url, "test:room")
    alice, bob = Connection("a!1"), Connection("b!2")
    await hub.join(5, alice)
    await hub.join(6, bob)

    throwaway_redis.stop()
    await eventually(lambda: alice.lost and bob.lost, timeout=20)
    assert hub.rooms == {}
    with pytest.raises(RedisConnectionError):  # the consumer refuses the handshake then
        await hub.join(5, Connection("c!3"))
    assert hub.rooms == {}

    throwaway_redis.start()
    carol = Connection("c!3")
    await hub.join(5, carol)
    await hub.publish(5, '{"back": true}')
    await eventually(lambda: carol.frames == ['{"back": true}'])
    hub.reader.cancel()


async def test_room_frames_wait_until_the_connection_has_its_history():
    consumer = ChatConsumer()
    sent = []

    async def send(text_data=None, bytes_data=None, close=False):
        sent.append(text_data)

    consumer.send = send
    consumer.held = []  # as connect() leaves it until the history is out
    await consumer.room_frame("early 1")
    await consumer.room_frame("early 2")
    assert sent == []
    await consumer.send("history")
    await consumer.release_held_frames()
    await consumer.room_frame("late")
    assert sent == ["history", "early 1", "early 2", "late"]
