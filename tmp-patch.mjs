import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'
const orig = YamuxStream.prototype.sendWindowUpdate
YamuxStream.prototype.sendWindowUpdate = function () {
  if (this.state === 3 && (this.recvWindow - this.recvWindowCapacity) < this.recvWindow / 2) return
  return orig.call(this)
}
